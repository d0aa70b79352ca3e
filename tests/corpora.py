"""Generated corpora with known structure, shared by the tests."""

import numpy as np


def topic_corpus(n_topics=6, words_per_topic=15, n_sentences=2500, n_function=4, seed=0):
    """Sentences that each draw all their words from one topic.

    Every sentence picks a topic and draws 8-20 words from it (Zipf-like
    weights inside the topic), with a few topic-free "function words"
    sprinkled in. A model has learned the structure when a word's nearest
    neighbours come from its own topic.

    Returns
    -------
    sentences : list of list of str
    groups : dict of str to int
        Topic of each topic word (function words are not in it).
    """
    rng = np.random.default_rng(seed)
    topics = [[f"t{t}w{i}" for i in range(words_per_topic)] for t in range(n_topics)]
    function = [f"fn{i}" for i in range(n_function)]
    weights = 1.0 / np.arange(1, words_per_topic + 1) ** 0.5
    weights /= weights.sum()
    sentences = []
    for _ in range(n_sentences):
        topic = topics[rng.integers(n_topics)]
        length = int(rng.integers(8, 21))
        words = [topic[i] for i in rng.choice(words_per_topic, size=length, p=weights)]
        for _ in range(int(rng.integers(0, 3))):
            words.insert(int(rng.integers(0, len(words) + 1)), function[rng.integers(n_function)])
        sentences.append(words)
    groups = {w: t for t, ws in enumerate(topics) for w in ws}
    return sentences, groups


def write_corpus(path, sentences):
    path.write_text("\n".join(" ".join(s) for s in sentences) + "\n", encoding="utf-8")
    return path


def neighbour_purity(vectors, index_to_key, groups, topn=5):
    """Fraction of the top-``topn`` cosine neighbours of topic words in the same topic."""
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    sims = unit @ unit.T
    np.fill_diagonal(sims, -np.inf)
    hits = total = 0
    for i, word in enumerate(index_to_key):
        if word not in groups:
            continue
        for j in np.argsort(-sims[i])[:topn]:
            hits += groups.get(index_to_key[j], -1) == groups[word]
            total += 1
    return hits / total
