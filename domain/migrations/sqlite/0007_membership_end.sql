-- When the member's membership ends, as the CRM says: passes expire then (Apple's expirationDate,
-- Google's validTimeInterval).
ALTER TABLE members ADD COLUMN membership_ends_at INTEGER;
