# Given --arg or --argstr, the function is called with the ones it names;
# the others are left out.
{ n ? 1, s, unused ? throw "not given" }: "${s}${toString n}"
