// Package embed holds DarkVec's learning step without any of netlens:
// skip-gram word2vec with negative sampling over sentences of integer
// tokens (Train), and what DarkVec does with the vectors: standard
// scaling, leave-one-out cosine k-NN classification with a majority vote
// (Neighbors, Classify, Evaluate), the k-NN graph clustered by Louvain
// (Graph, Louvain), the silhouette of each cluster (Silhouette) and a
// 2-D projection for charts (PCA).
//
// Everything is deterministic: the same input, seed and thread count give
// the same bits, whether or not the machine has AVX (see vec.go). embed
// imports nothing of netlens.
package embed
