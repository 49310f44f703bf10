# make soak: chaos against each stage from 02, then a look at the server
# (tools/soak says what is checked).
#
#   make soak                  every stage, 20 s each, plain build
#   make soak STAGE=03 SECS=60 one stage, longer
#   make soak SAN=asan         the ASan+UBSan builds (SAN=tsan: TSan builds
#                              of the stages with threads)
#   make soak SEED=N CONNS=N   replay a run; more connections at once

soak: tools
	tools/deps procps
	tools/soak $(if $(SAN),-s $(SAN)) -d $(or $(SECS),20) \
		$(if $(CONNS),-c $(CONNS)) $(if $(SEED),-S $(SEED)) $(STAGE)

.PHONY: soak
