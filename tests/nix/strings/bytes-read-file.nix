# readFile keeps a file's bytes, whether or not they are UTF-8.
with builtins;
let
  binary = readFile ./bytes.bin;
in
[
  binary
  (stringLength binary)
  (substring 2 1 binary == substring 0 1 "ü")
  (match ".*(.)" binary)
  (split "b" binary)
]
