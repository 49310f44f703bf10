# make mutants [STAGE=NN]: every stage's mutants (NN-*/mutants), each a
# one-line mistake applied to a scratch copy of the stage, built, and run
# against the tests of the behaviour row that must catch it. Prints caught
# or MISSED per mutant; fails on a missed mutant or one that no longer
# applies. See tools/mutants.
#
#   make mutants                 every stage (CI runs this: about 8 minutes)
#   make mutants STAGE=04        one stage
#   make mutants-check           only that every mutant applies and builds

mutants: tools
	tools/deps
	tools/mutants $(STAGE)

mutants-check:
	tools/mutants -n $(STAGE)

.PHONY: mutants mutants-check
