# man/: the programs' manual pages, scdoc sources turned into roff.
MANPAGES := $(patsubst man/%.scd,$(B)/man/%,$(wildcard man/*.scd))

$(MANPAGES): $(B)/man/%: man/%.scd debian/changelog | deps-quiet
	@mkdir -p $(dir $@)
	sed 's/@VERSION@/$(MEMPLUG_VERSION)/' $< | scdoc > $@ || { rm -f $@; exit 1; }

man-pages: $(MANPAGES)
all: man-pages
.PHONY: man-pages
