# Labs: build a stage yourself (tools/lab/run).
#
#   make lab STAGE=03       lab/03-epoll/: 02's code, 03's expect file, a
#                           Makefile and a README (what to build, the rows
#                           that must flip); then make -C lab/03-epoll test
#   make lab-diff STAGE=03  your change beside the stage's own
#
# lab/ is git-ignored, and a lab is never overwritten.

lab:
	@tools/lab/run new "$(STAGE)"

lab-diff:
	@tools/lab/run diff "$(STAGE)"

.PHONY: lab lab-diff
