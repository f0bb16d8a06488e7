# Printing escapes what Nix escapes ("  \  ${  newline  return  tab) and
# writes every other byte as it is: control characters and bytes that are
# not UTF-8 alike.
with builtins;
let
  controls = fromJSON ''"\u0001\u001b\u007f"'';
in
[
  (substring 0 1 "ü")
  controls
  "a\"b\\c\nd\re\tf"
  "\${x} $ $$ {"
  (readFile ./bytes.bin)
  { ${controls} = controls; }
  { "a\nb" = 1; }
]
