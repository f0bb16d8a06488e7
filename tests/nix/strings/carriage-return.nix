# A carriage return in a double-quoted string is a line feed, alone or before one.
[ "a
bc" "\r" ]
