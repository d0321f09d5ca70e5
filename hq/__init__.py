"""HQ-side services of the control room that talk to the outside: the command publisher."""
