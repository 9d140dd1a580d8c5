-- What an operator's readers expect in the pass's QR code: h10301, card, wiegand26 or signed.
ALTER TABLE operators ADD COLUMN credential_format TEXT NOT NULL DEFAULT 'h10301';
