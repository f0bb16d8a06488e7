builtins.fetchurl "https://example.com/x.tar.gz"
