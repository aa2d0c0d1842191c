-- Logical decoding loads the slot's output plugin, a library the caller
-- names (a path, where output_plugin_libraries lists it), and a slot holds
-- WAL back. Creating, copying and reading slots from SQL is recorded with
-- the plugin's name; so is a session widening output_plugin_libraries.
-- expect: sensitive_setting attempted
-- expect: replication attempted x4
-- expect-detail: args: eg_plugin_slot, /tmp/eg_no_such_plugin
-- expect-detail: args: eg_td_slot, test_decoding
-- errors-ok
SET output_plugin_libraries = 'pgoutput, test_decoding, /tmp/eg_no_such_plugin';
SELECT pg_create_logical_replication_slot('eg_plugin_slot', '/tmp/eg_no_such_plugin');
SELECT 1 FROM pg_create_logical_replication_slot('eg_td_slot', 'test_decoding');
SELECT count(*) >= 0 FROM pg_logical_slot_peek_changes('eg_td_slot', NULL, NULL);
SELECT 1 FROM pg_create_physical_replication_slot('eg_phys_slot');
SELECT pg_drop_replication_slot('eg_td_slot');
SELECT pg_drop_replication_slot('eg_phys_slot');
