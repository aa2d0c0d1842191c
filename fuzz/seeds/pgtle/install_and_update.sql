SELECT pgtle.install_extension('seed', '1.0', 'seed', $_pgtle_$
CREATE FUNCTION seed_f() RETURNS int LANGUAGE sql SECURITY DEFINER AS 'SELECT abs(1)';
$_pgtle_$, ARRAY['plpgsql']);
SELECT pgtle.install_update_path('seed', '1.0', '1.1', E'CREATE FUNCTION seed_g() RETURNS text\nLANGUAGE sql AS ''SELECT lower(''''X'''')'';');
SELECT pgtle.set_default_version('seed', '1.1');
