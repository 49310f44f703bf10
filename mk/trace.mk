# The syscalls, in plain sight (tools/trace/run):
#
#   make trace-03        stage 03 under strace, a short scripted client,
#                        the timeline of its lesson with a caption per step
#   make trace           every stage's, one after another
#
# tools/trace/run -r NN prints the whole trace instead, without captions.

trace-%:
	@tools/deps strace
	@tools/trace/run $*

trace:
	@tools/deps strace
	@for s in $(STAGES); do tools/trace/run $${s%%-*} || exit 1; echo; done

.PHONY: trace
