-- The link's second door: the 6-digit code in the text's WebOTP line. Stored hashed; five wrong
-- tries end it; it expires with the link.
ALTER TABLE link_tokens ADD COLUMN code_hash TEXT;
ALTER TABLE link_tokens ADD COLUMN code_attempts INTEGER NOT NULL DEFAULT 0;
