SET search_path = pg_catalog, pg_temp;
CREATE EVENT TRIGGER grab ON ddl_command_start EXECUTE FUNCTION s.f();
--                   ^ EG113
CREATE EVENT TRIGGER log_drops ON sql_drop WHEN TAG IN ('DROP TABLE') EXECUTE PROCEDURE s.g();
--                   ^ EG113
-- safe
CREATE TRIGGER t BEFORE INSERT ON s.x FOR EACH ROW EXECUTE FUNCTION s.f();
ALTER EVENT TRIGGER grab DISABLE;
