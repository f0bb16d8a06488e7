# A curried lambda whose inner pattern is not matched, applied to both
# arguments at once: the error names the inner lambda.
let
  configure = name: { port, host ? "localhost" }: "${name}@${host}:${toString port}";
in
configure "web" { host = "example.org"; }
