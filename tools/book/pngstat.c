/*
 * pngstat: how much of a PNG is one colour, to tell a blank screenshot from
 * a page.
 *
 * usage: pngstat FILE [RRGGBB...]
 *
 * Prints one line: the width, the height, the share of the pixels that
 * have the most common colour (0 to 1), how many colours there are, and,
 * for each RRGGBB asked about, the share of the pixels within 6 of it in
 * each channel. Colours are counted with 5 bits a channel, so a page's
 * anti-aliased text does not make every pixel a colour of its own.
 *
 * Build: cc -O2 pngstat.c -o pngstat -lpng
 */

#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUCKETS (1 << 15) /* 5 bits for each of red, green, blue */
#define NEAR 6            /* how far a channel may be from an asked colour */

static void die(const char *file, const char *why)
{
	fprintf(stderr, "pngstat: %s: %s\n", file, why);
	exit(1);
}

static int bucket(const png_byte *p)
{
	return (p[0] >> 3) << 10 | (p[1] >> 3) << 5 | p[2] >> 3;
}

static int near(const png_byte *p, unsigned long rgb)
{
	int want[3] = {(rgb >> 16) & 0xff, (rgb >> 8) & 0xff, rgb & 0xff};

	for (int i = 0; i < 3; i++)
		if (abs(p[i] - want[i]) > NEAR)
			return 0;
	return 1;
}

int main(int argc, char **argv)
{
	png_image img;
	png_bytep pixels;
	static unsigned long count[BUCKETS];
	unsigned long most = 0, colours = 0, npixels;

	if (argc < 2) {
		fprintf(stderr, "usage: pngstat FILE [RRGGBB...]\n");
		return 2;
	}
	memset(&img, 0, sizeof img);
	img.version = PNG_IMAGE_VERSION;
	if (!png_image_begin_read_from_file(&img, argv[1]))
		die(argv[1], img.message);
	img.format = PNG_FORMAT_RGB;
	pixels = malloc(PNG_IMAGE_SIZE(img));
	if (pixels == NULL)
		die(argv[1], "out of memory");
	if (!png_image_finish_read(&img, NULL, pixels, 0, NULL))
		die(argv[1], img.message);
	npixels = (unsigned long)img.width * img.height;
	if (npixels == 0)
		die(argv[1], "no pixels");

	for (unsigned long i = 0; i < npixels; i++)
		count[bucket(pixels + 3 * i)]++;
	for (int b = 0; b < BUCKETS; b++) {
		if (count[b] > 0)
			colours++;
		if (count[b] > most)
			most = count[b];
	}
	printf("%u %u %.4f %lu", img.width, img.height, (double)most / npixels,
	       colours);

	for (int a = 2; a < argc; a++) {
		char *end;
		unsigned long rgb = strtoul(argv[a], &end, 16), hits = 0;

		if (*end != '\0' || end - argv[a] != 6)
			die(argv[a], "not a colour (RRGGBB)");
		for (unsigned long i = 0; i < npixels; i++)
			hits += near(pixels + 3 * i, rgb);
		printf(" %.4f", (double)hits / npixels);
	}
	printf("\n");
	free(pixels);
	return 0;
}
