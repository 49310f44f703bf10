# make mutants [STAGE=NN]: every stage's mutants (NN-*/mutants), each a
# one-line mistake applied to a scratch copy of the stage, built, and run
# against the tests of the behaviour row that must catch it. Prints caught
# or MISSED per mutant; fails on a missed mutant or one that no longer
# applies. See tools/mutants.
#
#   make mutants                 every stage, two mutants at a time
#   make mutants STAGE=04        one stage
#   make mutants MUTANT_JOBS=1   one at a time (slower, and nothing else
#                                running beside a mutant's tests)
#   make mutants-check           only that every mutant applies and builds

MUTANT_JOBS ?= 2

mutants: tools
	tools/deps
	tools/mutants -j $(MUTANT_JOBS) $(STAGE)

mutants-check:
	tools/mutants -n $(STAGE)

.PHONY: mutants mutants-check
