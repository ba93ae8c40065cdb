"""gensim's Word2Vec and scikit-learn's k-NN on the corpus of bench/w2v gen,
with DarkVec's hyper-parameters (its src/word2vec.py: sg=1, negative=5,
min_count=0, sample=0, seed=15; its final model's vector size 200 and
window 5; one epoch as its src/modelTraining.py trains). Prints the training
time and the leave-one-out 7-NN accuracy over the labelled senders of the
last day, as JSON, the way bench/w2v train does for netlens.

    python3 bench/embeddings.py DIR [THREADS] [EPOCHS]
"""
import json
import sys
import time

import numpy as np
from gensim.models import Word2Vec
from sklearn.neighbors import NearestNeighbors


def vote(labels):
    """Majority vote; a tie between the most voted gives n.a."""
    lab, freqs = np.unique(labels, return_counts=True)
    top = freqs.max()
    if (freqs == top).sum() > 1:
        return "n.a."
    return lab[freqs.argmax()]


def main():
    d = sys.argv[1]
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    epochs = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    with open(f"{d}/corpus.txt") as f:
        corpus = [line.split() for line in f]
    t0, c0 = time.time(), time.process_time()
    model = Word2Vec(sentences=corpus, vector_size=200, window=5, epochs=epochs,
                     workers=threads, min_count=0, sg=1, negative=5, sample=0, seed=15)
    train_s, train_cpu = time.time() - t0, time.process_time() - c0
    ips, classes = [], []
    with open(f"{d}/eval.csv") as f:
        next(f)
        for line in f:
            ip, c = line.rstrip("\n").split(",")
            ips.append(ip)
            classes.append(c)
    classes = np.array(classes)
    x = np.array([model.wv[ip] for ip in ips])
    known = np.where(classes != "unknown")[0]
    k = 7
    nn = NearestNeighbors(n_neighbors=k + 1, metric="cosine", algorithm="brute").fit(x)
    _, idx = nn.kneighbors(x[known])
    correct = 0
    for q, row in zip(known, idx):
        row = [i for i in row if i != q][:k]  # leave the sender itself out
        if vote(classes[row]) == classes[q]:
            correct += 1
    print(json.dumps({"trainer": "gensim " + __import__("gensim").__version__, "threads": threads,
                      "words": sum(len(s) for s in corpus), "vocab": len(model.wv),
                      "train_s": round(train_s, 2), "train_cpu_s": round(train_cpu, 2), "knn_accuracy": correct / len(known),
                      "labelled": int(len(known))}))


if __name__ == "__main__":
    main()
