builtins.match "foo" {}
