# Nix 2.8 writes errors to a standard error that is not a terminal without
# the escape sequences a message carries (the module system colours its
# messages), and with tabs expanded.
let
  esc = builtins.fromJSON "\"\\u001b\"";
in
throw "found ${esc}[1;35m\"configuration\"${esc}[0m while\tloading ${esc}[1mfoo${esc}[0m."
