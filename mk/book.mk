# make book: the series as a book of HTML pages, from the repository as it
# is (tools/book/build says what is in it).
#
#   make book          write book/; open book/index.html in a browser
#   make book-check    check the book (tools/book/check), then open two pages
#                      in headless Chromium, screenshot them into build/book/,
#                      fail on a blank or broken page, and print a stage as a
#                      PDF handout (skipped, with a note, without Chromium)

book:
	tools/deps cmark
	tools/book/build book

book-check: book
	tools/deps libxml2-utils
	tools/book/check book
	tools/book/shots book build/book

.PHONY: book book-check
