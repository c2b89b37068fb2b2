"""The book: chapters, the book model, notebook downloads, and the book's pages."""
