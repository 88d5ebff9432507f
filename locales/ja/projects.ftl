# プロジェクト：プロジェクトのページ、データ管理者の状態ページ、公開の登録簿。

# ドメインの語：プロジェクトの状態、メンバーのロール。
project-status = { $status ->
    [draft] 下書き
    [approved] 承認済み
    [suspended] 一時停止中
    [closed] 終了
   *[other] { $status }
}
project-role = { $role ->
    [principal_investigator] 研究代表者
    [analyst] 解析担当者
    [observer] 閲覧者
   *[other] { $role }
}
project-role-separator = 、
project-dates = { $from }～{ $to }

# プロジェクトのページ（project.html）。
project-status-label = 状態
project-approved-dates = 承認された期間
project-your-role = あなたのロール
project-open-workspace = ワークスペースを開く
project-outputs = 出力と持ち出し申請

# データ管理者の状態ページ（project_status.html）。
project-status-title = 状態 · { $title }
project-extract = このプロジェクトの抽出データ
project-suspend-heading = プロジェクトの一時停止
project-suspend-hint = すべてのアクセスが直ちに終了します。ワークスペースが停止し、処理中の持ち出し申請も停止します。
project-reason = 理由
project-suspend = 一時停止する
project-lift-heading = 一時停止の解除
project-lift = 一時停止を解除する
project-status-now = { $status ->
    [draft] このプロジェクトは下書きの段階です。
    [approved] このプロジェクトは承認済みです。
    [suspended] このプロジェクトは一時停止中です。
    [closed] このプロジェクトは終了しています。
   *[other] このプロジェクトの状態：{ $status }
}
project-error-reason = 理由を入力してください（2,000 文字まで）。

# 公開のプロジェクト登録簿（register.html）。
register-title = プロジェクト登録簿
register-heading = 承認されたプロジェクトの登録簿
register-intro = 倫理審査委員会が承認したすべてのプロジェクトについて、その目的、使用するデータ、持ち出した出力（名前と日付のみで、内容は含みません）を掲載しています。
register-json = 同じ内容は次の形式でも入手できます：
register-json-link = JSON
register-json-end = {""}
register-empty = 承認されたプロジェクトはまだありません。
register-organisation = 所属組織
register-status = 状態
register-dates = 期間
register-datasets = データセット
register-outputs = 持ち出された出力
register-output = { $title }（{ $day }）
