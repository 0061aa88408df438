//! Embeddings: the token-embedding layer every language model shares, the word2vec trainer that
//! can give it a start, the vector file formats, and the questions word vectors answer
//! (neighbours, analogies, evaluation files).

pub mod embedding;
pub mod evaluate;
pub mod query;
pub mod vectors;
pub mod word2vec;
