#!/bin/sh
# Regenerates the tiny test models and their torch reference fixtures:
#   backend/model/testdata/models/NAME/   (knobs dev mkmodel --tiny NAME)
#   backend/model/testdata/ref/NAME.torch.json
# Needs /usr/bin/python3 with torch and numpy (Debian: python3-torch python3-numpy).
set -eu
cd "$(dirname "$0")/../.."
PROMPT=1,17,42,99,3,250,7,64,128,5,200,31
go build -o /tmp/knobs-regen ./cmd/knobs
for name in $(go run ./tools/torchref/tinynames); do
	dir=backend/model/testdata/models/$name
	rm -rf "$dir"
	/tmp/knobs-regen dev mkmodel --tiny "$name" --out "$dir" >/dev/null
	/usr/bin/python3 tools/torchref/torchref.py --model "$dir" --prompt-ids $PROMPT \
		--steps 8 --top 16 >backend/model/testdata/ref/"$name".torch.json
	echo "$name"
done
