/*
 * heap.h: a binary min-heap of nodes linked by pointers, for the timers.
 *
 * The nodes live inside the structs they order (a timer embeds one), so the
 * heap never allocates: inserting cannot fail, and removing any node, not
 * only the smallest, takes O(log n). The caller's less() says which of two
 * nodes comes first; the smallest is always h->min.
 *
 * The tree is complete: level by level, left to right. Number the nodes 1
 * (the root), 2 and 3 (its children), 4 to 7, and so on: node k's children
 * are 2k and 2k+1. So the binary digits of k after its leading 1 spell the
 * way down from the root to node k, 0 for left and 1 for right. That is how
 * insert finds the free slot (node count + 1) and remove finds the last
 * node (node count), without an array.
 *
 * libuv keeps its timers the same way (src/heap-inl.h); this is our own
 * version of the idea, carried unchanged into every later stage.
 */

#ifndef HEAP_H
#define HEAP_H

#include <stddef.h>

struct heap_node {
	struct heap_node *left;   /* node k's child 2k, or NULL */
	struct heap_node *right;  /* its child 2k + 1, or NULL */
	struct heap_node *parent; /* its parent k / 2, NULL for the root */
};

struct heap {
	struct heap_node *min; /* the root: the smallest node, or NULL */
	size_t count;          /* how many nodes the heap holds */
};

/* Whether a must come before b. */
typedef int heap_less_fn(const struct heap_node *a, const struct heap_node *b);

/* The slot where node number k hangs (or will hang): follow k's binary
 * digits after the leading 1 down from the root. *parent is its parent. */
static inline struct heap_node **heap_slot(struct heap *h, size_t k,
					   struct heap_node **parent)
{
	struct heap_node **slot = &h->min;
	size_t path = 0, depth = 0;

	*parent = NULL;
	for (; k > 1; k /= 2, depth++)
		path = (path << 1) | (k & 1); /* reversed: first step lowest */
	for (; depth > 0; depth--, path >>= 1) {
		*parent = *slot;
		slot = (path & 1) ? &(*slot)->right : &(*slot)->left;
	}
	return slot;
}

/* node has just taken over old's place and links: point its children, and
 * its parent (or the root), at node instead of old. */
static inline void heap_adopt(struct heap *h, struct heap_node *node,
			      struct heap_node *old)
{
	if (node->left != NULL)
		node->left->parent = node;
	if (node->right != NULL)
		node->right->parent = node;
	if (node->parent == NULL)
		h->min = node;
	else if (node->parent->left == old)
		node->parent->left = node;
	else
		node->parent->right = node;
}

/* Swap child with its parent: child moves up one level, parent down. */
static inline void heap_swap(struct heap *h, struct heap_node *parent,
			     struct heap_node *child)
{
	struct heap_node up = *parent; /* parent's links, before the swap */

	*parent = *child; /* parent takes over child's children */
	if (parent->left != NULL)
		parent->left->parent = parent;
	if (parent->right != NULL)
		parent->right->parent = parent;
	child->parent = up.parent;
	if (up.left == child) {
		child->left = parent;
		child->right = up.right;
	} else {
		child->left = up.left;
		child->right = parent;
	}
	heap_adopt(h, child, parent);
}

/* Move node up while it comes before its parent. */
static inline void heap_sift_up(struct heap *h, struct heap_node *node,
				heap_less_fn *less)
{
	while (node->parent != NULL && less(node, node->parent))
		heap_swap(h, node->parent, node);
}

/* Move node down while a child comes before it. */
static inline void heap_sift_down(struct heap *h, struct heap_node *node,
				  heap_less_fn *less)
{
	for (;;) {
		struct heap_node *child = node->left;

		if (node->right != NULL && less(node->right, child))
			child = node->right;
		if (child == NULL || !less(child, node))
			return;
		heap_swap(h, node, child);
	}
}

static inline void heap_insert(struct heap *h, struct heap_node *node,
			       heap_less_fn *less)
{
	struct heap_node *parent;

	*heap_slot(h, h->count + 1, &parent) = node;
	node->left = node->right = NULL;
	node->parent = parent;
	h->count++;
	heap_sift_up(h, node, less);
}

/* Remove node, which must be in h: the last node takes its place and then
 * moves down or up to where it belongs. */
static inline void heap_remove(struct heap *h, struct heap_node *node,
			       heap_less_fn *less)
{
	struct heap_node *parent, **slot, *last;

	slot = heap_slot(h, h->count, &parent);
	last = *slot;
	*slot = NULL; /* unlink the last node */
	h->count--;
	if (last == node)
		return;

	*last = *node; /* last takes node's place and links */
	heap_adopt(h, last, node);
	heap_sift_down(h, last, less);
	heap_sift_up(h, last, less);
}

#endif
