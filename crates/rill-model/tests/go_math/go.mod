module rill/gomathgen

go 1.19
