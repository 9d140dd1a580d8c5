-- The member's language. Each operator enables the languages its members may read (any of the
-- files in domain/locales/) and picks a default; a member's language can come from the CRM; a
-- journey keeps the language of the page its number was entered on (the text goes out in it).
ALTER TABLE operators ADD COLUMN languages TEXT NOT NULL DEFAULT 'en,de,fr,es,nl';
ALTER TABLE operators ADD COLUMN default_language TEXT NOT NULL DEFAULT 'en';
ALTER TABLE members ADD COLUMN language TEXT;
ALTER TABLE journeys ADD COLUMN language TEXT;
