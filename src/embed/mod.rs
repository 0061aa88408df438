//! Embeddings: the layer both language models share. (The word2vec trainer and the vector file
//! formats will live here too.)

pub mod embedding;
pub mod evaluate;
pub mod query;
pub mod vectors;
pub mod word2vec;
