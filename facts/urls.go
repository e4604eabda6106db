package facts

import (
	"path"
	"strings"
)

// vdirURLs are the folders of Exchange's front end (FrontEnd\HttpProxy)
// and back end (ClientAccess) by the URL path IIS serves them under, where
// the two differ; every other folder is served under its own name.
var vdirURLs = map[string]string{
	"sync": "/Microsoft-Server-ActiveSync",
}

// URLPath is the URL path under which IIS serves a file of the server
// (root-relative, forward slashes): files under the web root from "/",
// files of Exchange's front-end and back-end folders under their virtual
// directory ("/owa/auth/x.aspx"). ok is false for a file IIS does not
// serve. The answer ignores case, as IIS does.
func (s *Server) URLPath(p string) (urlPath string, ok bool) {
	under := func(dir string) (string, bool) {
		if dir == "" || len(p) <= len(dir)+1 || !strings.EqualFold(p[:len(dir)], dir) || p[len(dir)] != '/' {
			return "", false
		}
		return p[len(dir)+1:], true
	}
	if s.ExchangeDir != "" {
		for _, sub := range []string{"FrontEnd/HttpProxy", "ClientAccess"} {
			rel, ok := under(path.Join(s.ExchangeDir, sub))
			if !ok {
				continue
			}
			vdir, rest, found := strings.Cut(rel, "/")
			if !found {
				return "", false // files beside the virtual directories are not served
			}
			if u, ok := vdirURLs[strings.ToLower(vdir)]; ok {
				return u + "/" + rest, true
			}
			return "/" + vdir + "/" + rest, true
		}
	}
	if rel, ok := under(s.WebRoot); ok {
		return "/" + rel, true
	}
	return "", false
}
