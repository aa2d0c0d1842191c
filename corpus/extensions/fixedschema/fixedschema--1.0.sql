\echo Use "CREATE EXTENSION fixedschema" to load this file. \quit
-- CREATE EXTENSION created the schema `fixed` (from the control file): a
-- view replaced there is the extension's own.
CREATE TABLE fixed.item (id int);
CREATE OR REPLACE VIEW fixed.items AS SELECT id FROM fixed.item;
-- another schema, which the extension did not create
CREATE OR REPLACE VIEW public.items AS SELECT id FROM fixed.item;
