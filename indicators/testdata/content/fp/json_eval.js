// Old browsers without JSON.parse: evaluate the server's JSON answer.
function load(url, done) {
    var request = new XMLHttpRequest();
    request.open("GET", url, true);
    request.onreadystatechange = function () {
        if (request.readyState === 4 && request.status === 200) {
            var data = window.JSON ? JSON.parse(request.responseText) : eval("(" + request.responseText + ")");
            done(data);
        }
    };
    request.send(null);
}
function legacy(request) { return eval(request["responseText"]); }
