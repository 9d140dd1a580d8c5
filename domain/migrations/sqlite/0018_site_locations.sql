-- Where a site's door is: Apple passes of the site carry it as a location, so the pass comes up
-- on the lock screen at the door ("Northwind Shoreditch, main entrance: hold your phone to the
-- reader"). Both coordinates or neither.
ALTER TABLE sites ADD COLUMN latitude REAL;
ALTER TABLE sites ADD COLUMN longitude REAL;
ALTER TABLE sites ADD COLUMN entrance TEXT;
