# Only quotes, backslashes and control characters are escaped; DEL, '/',
# markup and non-ASCII text pass through unchanged.
let
  controls = builtins.fromJSON ''"\u0001\u0008\u000c\u001f\u007f"'';
in
[
  (builtins.toJSON "quote \" backslash \\ newline \n return \r tab \t")
  (builtins.toJSON controls)
  (builtins.toJSON "slash / <tag> & 'single' é → 😀 \${x}")
  (builtins.toJSON { "key \"with\" \n escapes" = "v"; })
]
