# Pure evaluation (--pure-eval; Nix's --option pure-eval true): no
# currentSystem or currentTime, an empty environment and search path, and
# paths that may not be looked at do not exist. (Nix 2.8 also refuses the
# file given on its command line; the expected output is this text
# evaluated with -E in this folder.)
{
  currentSystem = builtins ? currentSystem;
  currentTime = builtins ? currentTime;
  env = builtins.getEnv "SPINDLE_TEST_VAR";
  envCaught = builtins.tryEval (builtins.getEnv "HOME");
  passwd = builtins.pathExists /etc/passwd;
  missing = builtins.pathExists /nonexistent;
  relative = builtins.pathExists ./pure-builtins.nix;
  nixPath = builtins.nixPath;
  lookup = builtins.tryEval <nixpkgs>;
  findFile = builtins.tryEval (builtins.findFile [ ] "nixpkgs");
  pathType = builtins.typeOf /etc/passwd;
  pathString = toString /etc/passwd;
  storeDir = builtins.storeDir;
}
