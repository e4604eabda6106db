module github.com/exhunt/exhunt

go 1.26
