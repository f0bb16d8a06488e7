# Without --arg or --argstr, nix-instantiate prints a function as it is,
# even one whose arguments all have defaults.
{ n ? 1 }: n + 1
