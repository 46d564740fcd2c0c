# Two commands for a newcomer (see README): `make run` and `make test`.
.PHONY: run test check setup bench dist deb

run:      ## set up, build and start `webtoonme live` (demo source when there is no camera)
	bash scripts/run.sh

test:     ## set up, then fmt + clippy + every test
	bash scripts/test.sh

check:    ## fmt + clippy + tests, without setup
	bash scripts/check.sh

setup:    ## system packages, ONNX Runtime, perception models
	bash scripts/setup.sh

bench:    ## the pipeline benchmark on the demo source
	cargo run --release --locked -- bench --source demo --frames 300

dist:     ## the booth bundle dist/webtoonme-<version>-linux-<arch>.tar.gz (release build; PROFILE=dev bundles target/debug)
	bash scripts/dist.sh --tar

deb:      ## the Debian package dist/webtoonme_<version>_<arch>.deb (same bundle under /usr/lib/webtoonme)
	bash scripts/dist.sh --deb
