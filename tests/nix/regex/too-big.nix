builtins.match "a{99999}" "a"
