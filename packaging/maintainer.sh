#!/bin/bash
# SPDX-License-Identifier: MIT
# packaging/maintainer.sh - print who the packages name as their maintainer,
# "Name <address>", found the way dch(1) finds it:
#
#   name     DEBFULLNAME, else NAME, else the name part of DEBEMAIL (or EMAIL)
#            when that reads "Name <address>", else "credkit maintainers"
#   address  DEBEMAIL, else EMAIL, else credkit@example.org
#
# Unlike dch it never guesses from the login and host name: that is how the
# packages came to say credkit@localhost, which lintian rejects
# (bogus-mail-host).  An address lintian would reject (no user@host.domain)
# is refused here: the status is 1 and stderr says why.
set -eu

name=${DEBFULLNAME:-${NAME:-}}
addr=${DEBEMAIL:-${EMAIL:-}}
re='^[[:space:]]*([^<>]*[^<>[:space:]])?[[:space:]]*<([^<>]*)>[[:space:]]*$'
if [[ $addr =~ $re ]]; then
	name=${name:-${BASH_REMATCH[1]}}
	addr=${BASH_REMATCH[2]}
fi
name=${name:-credkit maintainers}
addr=${addr:-credkit@example.org}

if ! [[ $addr =~ ^[^@[:space:]\<\>]+@[^@.[:space:]\<\>]+(\.[^@.[:space:]\<\>]+)+$ ]]; then
	echo "packaging: maintainer address \"$addr\" (from DEBEMAIL or EMAIL) is not user@host.domain; set DEBEMAIL to one" >&2
	exit 1
fi
if [[ $name == *[\<\>]* || $name == *$'\n'* ]]; then
	echo "packaging: maintainer name \"$name\" (from DEBFULLNAME or NAME) holds < > or a new line" >&2
	exit 1
fi
printf '%s <%s>\n' "$name" "$addr"
