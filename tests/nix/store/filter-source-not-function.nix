builtins.filterSource "yes" ./data
