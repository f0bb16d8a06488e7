builtins.parseDrvName null
