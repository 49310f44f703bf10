/*
 * A white-box test of heap.h: random inserts and removes, checked against
 * a plain array after every step. Build: cc -I STAGE test/unit/heap.c
 */
#include <stdio.h>
#include <stdlib.h>

#include "heap.h"

#define NODES 2000
#define STEPS 200000

struct item {
	struct heap_node node; /* first: a node pointer is an item pointer */
	int key;               /* what the heap orders by */
	int in;                /* whether the item is in the heap */
};

static struct item items[NODES];

static int less(const struct heap_node *a, const struct heap_node *b)
{
	return ((const struct item *)a)->key < ((const struct item *)b)->key;
}

/* Check the heap property and the parent links below n; count the nodes. */
static size_t check(const struct heap_node *n, const struct heap_node *parent)
{
	if (n == NULL)
		return 0;
	if (n->parent != parent || (parent != NULL && less(n, parent))) {
		fprintf(stderr, "heap: broken at key %d\n",
			((const struct item *)n)->key);
		exit(1);
	}
	return 1 + check(n->left, n) + check(n->right, n);
}

int main(void)
{
	struct heap h = {0};
	size_t count = 0;

	srand(1);
	for (long step = 0; step < STEPS; step++) {
		struct item *it = &items[rand() % NODES];
		int min = -1;

		if (it->in) {
			heap_remove(&h, &it->node, less);
			count--;
		} else {
			it->key = rand() % 1000;
			heap_insert(&h, &it->node, less);
			count++;
		}
		it->in = !it->in;
		if (step % 97 == 0 && check(h.min, NULL) != count) {
			fprintf(stderr, "heap: lost nodes\n");
			return 1;
		}
		for (int i = 0; i < NODES; i++)
			if (items[i].in && (min == -1 || items[i].key < min))
				min = items[i].key;
		if (h.count != count ||
		    (count > 0 && ((struct item *)h.min)->key != min)) {
			fprintf(stderr, "heap: wrong minimum at step %ld\n",
				step);
			return 1;
		}
	}
	puts("heap: ok");
	return 0;
}
