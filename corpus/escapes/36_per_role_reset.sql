-- expect: sensitive_setting attempted x3
ALTER ROLE eg_alice RESET log_min_messages;
ALTER ROLE eg_alice IN DATABASE postgres RESET log_statement;
ALTER ROLE eg_alice RESET session_preload_libraries;
