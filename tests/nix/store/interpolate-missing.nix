"${./no-such-file}"
