-- The language a person chose for the pages ('en' or 'ja'); NULL follows the browser.
ALTER TABLE people ADD COLUMN language TEXT CHECK (language IN ('en', 'ja'));
